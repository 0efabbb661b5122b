"""What tests share: data, helpers and fakes. Tests import these, never each other."""
