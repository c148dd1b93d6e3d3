"""The differential suite: programs run on the engine and on torch side by side (docs/oracle.md)."""
