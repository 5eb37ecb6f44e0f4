"""Documents: files on cases, notices generated from templates, and where files are stored."""
