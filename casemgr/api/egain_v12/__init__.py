"""eGain Interaction API v12: sessions, case reads and the edit."""
