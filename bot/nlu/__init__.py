"""The bot side of the NLU: the HTTP client, the Rasa tooling and the Rasa server."""
