"""Pure analysis code: plain data in, plain data out; imports neither Flask nor SQLAlchemy."""
