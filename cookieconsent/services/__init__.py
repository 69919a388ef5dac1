"""Plain functions that do the service's work; views and commands call them."""
