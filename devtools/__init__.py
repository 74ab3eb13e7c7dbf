"""Development tools shared by tests, `make sample` and the benches; never imported by the `pipeline` package.

`synth` speaks scripted Dutch conversations with espeak-ng into reproducible audio (the sample recording and test
inputs).
"""
