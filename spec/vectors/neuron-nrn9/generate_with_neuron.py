# Files in this folder were written by NEURON 9.0.2 (PyPI wheel) with this script;
# expected.json holds the values NEURON itself computed (and read back with vread).
from neuron import h
import numpy as np, json
h.load_file("stdrun.hoc")
soma = h.Section(name="soma"); soma.insert("hh")
stim = h.IClamp(soma(0.5)); stim.delay = 0.1; stim.dur = 0.5; stim.amp = 0.1
t = h.Vector().record(h._ref_t); v = h.Vector().record(soma(0.5)._ref_v); m = h.Vector().record(soma(0.5).hh._ref_m)
h.dt = 0.025; h.finitialize(-65); h.continuerun(1.0)
print(len(t))
f = h.File(); f.wopen("nrn_clipboard.dat"); f.printf("label:%s\n%d\n", "soma.v(0.5)", len(v))
for i in range(len(v)): f.printf("%g\t%g\n", t[i], v[i])
f.close()
f = h.File(); f.wopen("nrn_vec_printf.dat"); v.printf(f); f.close()
f = h.File(); f.wopen("nrn_vec_printf_fmt.dat"); v.printf(f, "%.6f "); f.close()
mat = h.Matrix(len(t), 3); mat.setcol(0, t); mat.setcol(1, v); mat.setcol(2, m)
f = h.File(); f.wopen("nrn_matrix_fprint.dat"); mat.fprint(f); f.close()
f = h.File(); f.wopen("nrn_matrix_fprint_nohdr.dat"); mat.fprint(0, f, "%g\t"); f.close()
for ty in range(1, 6):
    f = h.File(); f.wopen(f"nrn_vwrite_t{ty}.dat"); v.vwrite(f, ty); f.close()
f = h.File(); f.wopen("nrn_vwrite_tv.dat"); t.vwrite(f); v.vwrite(f); f.close()
f = h.File(); f.wopen("nrn_fwrite.dat"); v.fwrite(f); f.close()
# NEURON's own reading of the files, for comparison
res = {"t": list(t), "v": list(v), "m": list(m)}
for ty in range(1, 6):
    f = h.File(); f.ropen(f"nrn_vwrite_t{ty}.dat"); x = h.Vector(); x.vread(f); f.close(); res[f"vread_t{ty}"] = list(x)
json.dump(res, open("nrn_values.json", "w"))
