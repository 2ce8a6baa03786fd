;; loop: code that does not stop by itself, to trip the limits.
;;
;; spin()               loops for ever (stopped by fuel, or by the deadline)
;; count_to(n) -> n     counts from 0 to n (fuel use grows with n)
;; grow(pages) -> old   memory.grow: the old size in pages, or -1 when refused
(module
  (memory (export "memory") 1)
  (func (export "spin")
    (loop $forever (br $forever)))
  (func (export "count_to") (param $n i64) (result i64)
    (local $i i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $i))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0))))
