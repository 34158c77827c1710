"""eGain Case Manager API v3: OAuth 2 bearer tokens and the edit."""
