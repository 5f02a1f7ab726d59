"""TimeGAN (Yoon, Jarrett & van der Schaar, NeurIPS 2019): five recurrent networks trained in three phases.

`names` holds the dataset, module and phase names and the evaluation's sizes the command line needs
(no TensorFlow); `recipe` picks hidden size, batch and steps from the data's shape (no TensorFlow);
`columns` plans how each CSV column is generated (constant, duplicate, linear relation, discrete, log1p); `data`
loads Sines, Stocks, Energy or any numeric CSV (dropping time-stamp and row-number columns) as
min-max scaled windows;
`networks` builds the embedder, recovery, generator, supervisor and discriminator and the saved
generation model; `model` holds the losses and the three phase models; `phased_training` runs the
phases in order with checkpoints and resume; `generator` holds generation and the generator's
settings (the versioned sidecar, written and read there); `evaluation` the paper's discriminative
and predictive scores; `plots` this family's figures.
"""
