"""The Learning Record Store: xAPI statements validated, stored, voided and queried."""
