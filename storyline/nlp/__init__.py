"""Language stages: parsing, entities, quotes, times and facts, one module each."""
