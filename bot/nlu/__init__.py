"""The bot side of the NLU: the HTTP client and the Rasa tooling."""
