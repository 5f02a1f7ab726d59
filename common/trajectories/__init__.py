"""Handwritten letters as pen trajectories: a semi-supervised InfoGAN on CharacterTrajectories.

`names` holds the letters, channels, code count and data file names the command line needs (no
TensorFlow); `data` converts the raw UEA files to the npz, loads and checks it, and adds or reads
the generated 'still writing' end signal; `networks` builds the generator, the discriminator with
its Q heads and the 1-D CNN sequence classifier; `model` holds the `SequenceInfoGAN` variant;
`generation` loads a trained generator and turns letters and style codes into sequences;
`evaluation` trains the letter judge and scores label fidelity, code recovery and the
discriminative score; `plots` draws letters as pen paths.
"""
