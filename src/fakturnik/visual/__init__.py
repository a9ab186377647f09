"""What people see: FA(3) invoices and UPOs as HTML/PDF, and the KSeF verification QR codes."""
