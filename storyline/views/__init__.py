"""Views: pure functions over the articles of a story (summaries, timeline, contradictions)."""
