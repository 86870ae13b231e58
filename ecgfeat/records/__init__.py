"""Records: WFDB readers for PTB-XL, ecg-arrhythmia, CinC-2020/2021 and LUDB, indexes, labels and splits."""
from .datasets import DATASETS, detect_dataset, read_index, read_indexes, shared_sample_roots
from .header import WfdbHeader, read_header
from .index import iter_records, load_record, read_saved_index, save_index
from .labels import LABEL_TABLE_VERSION, LabelTable
from .record import EcgRecord, read_record
from .resample import resample_signal

__all__ = ["DATASETS", "EcgRecord", "LABEL_TABLE_VERSION", "LabelTable", "WfdbHeader", "detect_dataset",
           "iter_records", "load_record", "read_header", "read_index", "read_indexes", "read_record",
           "read_saved_index", "resample_signal", "save_index", "shared_sample_roots"]
