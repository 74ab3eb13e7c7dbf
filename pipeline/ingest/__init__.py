"""What comes in: any audio or video file decoded to 16 kHz mono float32 (`audio`), and existing transcripts
(.vtt .srt .txt .docx) read into a Transcript and turns (`importers`).

May import `pipeline.core` only.
"""
