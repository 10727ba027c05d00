"""The chat playground's core without UI: parameters, cost, conversation state, export, "View code".

Nothing here imports textual; the chat screen is built on top of it.
"""
