"""Records linked to a case: agreements, judicial confirmations, reconsideration decisions, lawsuits, legal aid."""
