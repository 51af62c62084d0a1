"""The doctor's column: doctors, answers, topics, and readers' questions."""
