"""The Gradio chat UI (app.py) and its HTML rendering (render.py)."""
