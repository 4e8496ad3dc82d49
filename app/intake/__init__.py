"""Bid intake: read a customer's requirement workbook, detect its tables, write answers back.

Bytes and dataclasses in, bytes and dataclasses out: nothing here imports FastAPI or
SQLModel or sees a database session (like ``app.documents``). The vocabulary lives in
``app.intake.types``; matching against the catalog is ``app.intake.matching``.
"""
