"""The default table's names, importable without numpy or TensorFlow (the script's parser uses them)."""

# The motor-fault table: 10 current/resistance/inductance features and 7 fault states.
TRAIN_FILE = "fault_train.csv"
TEST_FILE = "fault_test.csv"
LABEL_COLUMN = "state"
# The fault data has no canonical download; this is where the shared copy comes from.
FAULT_DATA_SOURCE = "GitHub Jaehoon9201/Keras-1D-ACGAN-Data-Augmentation (data/train_data.csv, data/test_data.csv)"
