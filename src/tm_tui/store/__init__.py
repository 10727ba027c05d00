"""User data kept between runs (conversation history, start-up cache); stdlib only, no textual."""
