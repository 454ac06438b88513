"""solicit: external solicitations from inside a request and their replies threaded back."""
