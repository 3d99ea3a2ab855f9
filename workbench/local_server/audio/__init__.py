"""POST /v1/audio/transcriptions and /translations through faster-whisper: the multipart form
read (form), the audio transcribed (routes), and the answer shaped as json, text, srt, vtt or
verbose_json (formats)."""
