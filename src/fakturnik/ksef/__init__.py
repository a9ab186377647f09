"""KSeF 2.0 API client."""
