from .checked_encoder_decoder import CheckedEncoderDecoder
from .simple_fcn_head import SimpleFCNHead

__all__ = ['CheckedEncoderDecoder', 'SimpleFCNHead']
