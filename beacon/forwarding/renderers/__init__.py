"""One renderer per shipper: each turns a `Destination` plus `PackOptions` into config files."""
