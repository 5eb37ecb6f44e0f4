"""Links to outside systems: courts and legal-aid centres."""
