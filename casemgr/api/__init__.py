"""HTTP adapters: one package per API, plus what they share."""
