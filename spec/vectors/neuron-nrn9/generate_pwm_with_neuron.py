from neuron import h, gui
h.load_file("stdrun.hoc")
soma = h.Section(name="soma"); soma.insert("hh")
stim = h.IClamp(soma(0.5)); stim.delay = 0.1; stim.dur = 0.5; stim.amp = 0.1
g = h.Graph(0); g.size(0, 1, -80, 40); g.view(0, -80, 1, 120, 0, 0, 300, 200)
g.addvar("soma.v(0.5)", soma(0.5)._ref_v); g.addvar("soma.m_hh(0.5)", soma(0.5).hh._ref_m)
h.graphList[0].append(g)
g2 = h.Graph(0); g2.view(0, 0, 1, 1, 400, 0, 300, 200)
vec_t = h.Vector([0, 0.5, 1]); vec_y = h.Vector([0, 1, 0.5])
vec_y.line(g2, vec_t)  # a graph without addvar lines -> PolyLines?
vec_y2 = h.Vector([1, 2, 3]); vec_y2.label("famlab"); vec_y2.line(g2, vec_t)
h.dt = 0.025; h.tstop = 0.2
h.run()
g.exec_menu("Keep Lines")
h.run()
h.PWManager().printfile("pwm_ascii.txt", 2, 1)
