"""Code that runs inside the Rasa virtualenv (Python 3.10, rasa 3.6).

The bot's own environment never imports this package: Rasa and aiogram cannot
share one environment. Rasa loads it with the repository root on PYTHONPATH,
so these modules and `bot.nlp` (stdlib and numpy only) both import.

The custom components config.yml names: `nlu.featurizers` (the tokenizer,
word vectors and sentence embeddings), `nlu.classifiers` (the linear
classifier, the safety head, the route guard), on `nlu.base`'s shared base.
"""
