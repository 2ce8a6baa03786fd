scores, _ = run(2, 16)
mine = bool(np.array_equal(scores, reference_scores))
