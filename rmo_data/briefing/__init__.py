"""Briefing packs: what a pack says (model), and its PowerPoint and PDF files."""
