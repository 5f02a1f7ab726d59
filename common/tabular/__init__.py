"""The tabular family: labelled numeric rows (a CSV with one label column and numeric features) and the
auxiliary-classifier GAN that learns them, with what `acgan_1d.py` does with a trained generator.

Labels stay the text they were written as; classes are indexed 0..C-1 in sorted order (numeric order
when every label is a number). Features are min-max scaled per column to [-1, 1] (the generator ends
in tanh) by a scaler fitted on the training rows, stored with the column layout in the generator's
versioned JSON sidecar. `names` holds the default dataset's names without importing TensorFlow.
"""
