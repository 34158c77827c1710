"""What eGain's two APIs (Interaction v12, Case Manager v3) share: the edit
body's shape, the case representation, the error body. The v12 and v3
packages differ only where the vendor's APIs differ (auth, lastModified as an
object or a string, href prefixes)."""
