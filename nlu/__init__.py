"""Code that runs inside the Rasa virtualenv (Python 3.10, rasa 3.6).

The bot's own environment never imports this package: Rasa and aiogram cannot
share one environment. Rasa loads it with the repository root on PYTHONPATH,
so `nlu.components` and the stdlib-only `bot.nlp.normalize` both import.
"""
