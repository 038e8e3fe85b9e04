"""Scanning files and scoring datasets (structure, schema conformance, metadata,
AI-training fitness, GDPR minimisation). Depends on `catalogue`."""
