from .simple_fcn_head import SimpleFCNHead

__all__ = ['SimpleFCNHead']
