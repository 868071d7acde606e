"""One module per dashboard page; each holds the page, its JSON API and the data both show."""
