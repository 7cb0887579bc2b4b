"""Mutants of exercise 4_3 (pad_hw and the matrix reshapes): a trainee's loop solution, changed."""

PAD = '''
def pad_hw(x, pad, constant_values=0):
    N, C, H, W = x.shape
    out = np.full((N, C, H + 2 * pad, W + 2 * pad), constant_values, dtype=x.dtype)
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out
'''
FILTERS = '''
def filters_to_matrix(W):
    FN = W.shape[0]
    return np.stack([W[f].ravel() for f in range(FN)], axis=1)
'''
TO_NCHW = '''
def matrix_to_nchw(out, N, OH, OW):
    FN = out.shape[1]
    result = np.empty((N, FN, OH, OW), dtype=out.dtype)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                result[n, :, i, j] = out[(n * OH + i) * OW + j]
    return result
'''
TO_MATRIX = '''
def nchw_to_matrix(dout):
    N, FN, OH, OW = dout.shape
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                rows.append(dout[n, :, i, j])
    return np.array(rows)
'''

BASE = {"pad_hw": PAD, "filters_to_matrix": FILTERS, "matrix_to_nchw": TO_NCHW, "nchw_to_matrix": TO_MATRIX}

MUTANTS = {
    "pad_every_axis": ("pad_all_axes", {"pad_hw": '''
def pad_hw(x, pad, constant_values=0):
    new_shape = tuple(size + 2 * pad for size in x.shape)
    out = np.full(new_shape, constant_values, dtype=x.dtype)
    inner = tuple(slice(pad, pad + size) for size in x.shape)
    out[inner] = x
    return out
'''}),
    "pad_always_zero": ("pad_ignores_constant", {"pad_hw": PAD.replace(
        "np.full((N, C, H + 2 * pad, W + 2 * pad), constant_values, dtype=x.dtype)",
        "np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)")}),
    "filters_reshape_to_column_count": ("filters_reshape_wrong", {"filters_to_matrix": '''
def filters_to_matrix(W):
    FN, C, FH, FW = W.shape
    return W.reshape(C * FH * FW, FN)
'''}),
    "filters_one_row_per_filter": ("filters_not_transposed", {"filters_to_matrix": FILTERS.replace(
        "axis=1", "axis=0")}),
    "to_nchw_plain_reshape": ("to_nchw_reshape_only", {"matrix_to_nchw": '''
def matrix_to_nchw(out, N, OH, OW):
    return np.reshape(out, (N, out.shape[1], OH, OW))
'''}),
    "to_matrix_plain_reshape": ("to_matrix_reshape_only", {"nchw_to_matrix": '''
def nchw_to_matrix(dout):
    N, FN, OH, OW = dout.shape
    return dout.reshape(N * OH * OW, FN)
'''}),
    # generic findings
    "to_nchw_wrong_transpose": ("generic.axes_permuted", {"matrix_to_nchw": '''
def matrix_to_nchw(out, N, OH, OW):
    return out.reshape(N, OH, OW, -1).transpose(0, 3, 2, 1)
'''}),
    "filters_reshaped_in_place": ("generic.input_reshaped", {"filters_to_matrix": '''
def filters_to_matrix(W):
    FN = W.shape[0]
    W.shape = (FN, W.size // FN)
    return W.T
'''}),
    # unrelated wrong answers
    "to_matrix_drops_last_row": (None, {"nchw_to_matrix": TO_MATRIX.replace("np.array(rows)", "np.array(rows[:-1])")}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "pad_square_assumed": (None, {"pad_hw": PAD.replace(
        "np.full((N, C, H + 2 * pad, W + 2 * pad), constant_values, dtype=x.dtype)",
        "np.full((N, C, H + 2 * pad, H + 2 * pad), constant_values, dtype=x.dtype)").replace(
        "out[:, :, pad:pad + H, pad:pad + W] = x", "out[:, :, pad:pad + H, pad:pad + H] = x[:, :, :, :H]")}),
    "to_nchw_square_assumed": (None, {"matrix_to_nchw": TO_NCHW.replace(
        "result = np.empty((N, FN, OH, OW), dtype=out.dtype)", "OW = OH\n    result = np.empty((N, FN, OH, OW), dtype=out.dtype)")}),
}
