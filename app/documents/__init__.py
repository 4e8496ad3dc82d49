"""Documents built from a stored run: Word proposals and Excel quotes.

Bytes in, bytes out: nothing here imports FastAPI or SQLModel or sees a database session.
The services (``app.services.documents``) map rows to the plain data these modules take.
"""
