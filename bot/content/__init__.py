"""Curated content: the taxonomy, the answers in domain.yml, the resource directory."""
