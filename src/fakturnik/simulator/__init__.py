"""KSeF 2.0 simulator: the Ministry's test environment on localhost."""
