"""SMS to the applicant at the steps the law requires a notice."""
