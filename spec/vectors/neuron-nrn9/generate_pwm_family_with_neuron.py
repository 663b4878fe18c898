from neuron import h, gui
g3 = h.Graph(0); g3.view(0, 0, 1, 1, 0, 0, 300, 200)
vt = h.Vector([0, 0.5, 1]); a = h.Vector([0, 1, 0.5]); b = h.Vector([1, 2, 3])
a.label("alpha"); b.label("beta")
g3.family("fam")
a.line(g3, vt); b.line(g3, vt)
h.PWManager().printfile("pwm_fam.txt", 2, 1)
