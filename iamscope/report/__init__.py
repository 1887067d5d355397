"""Rendering results for people and machines; imports only the model and evaluation results."""
