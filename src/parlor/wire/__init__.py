"""The bodies that cross the wire, one typed definition each (msgspec Structs)."""
