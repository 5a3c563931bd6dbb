"""The domain: every state change happens here, inside a transaction the service owns."""
