;; trap: functions that fail, one way each, and a cell of state to see what a
;; failure leaves behind.
;;
;; boom()                 executes `unreachable`
;; divide(a, b) -> a/b    traps on b = 0
;; get() -> v, set(v)     the i32 at address 0
;; set_then_trap(v)       stores v at address 0, then traps: the write must not survive
;; out_of_bounds() -> v   loads beyond the one page of memory
;; recurse(n) -> n        calls itself for ever: the call stack overflows
(module
  (memory (export "memory") 1 1)
  (func (export "boom") unreachable)
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "get") (result i32) (i32.load (i32.const 0)))
  (func (export "set") (param i32) (i32.store (i32.const 0) (local.get 0)))
  (func (export "set_then_trap") (param i32)
    (i32.store (i32.const 0) (local.get 0))
    unreachable)
  (func (export "out_of_bounds") (result i32) (i32.load (i32.const 70000)))
  (func $recurse (export "recurse") (param i32) (result i32)
    (call $recurse (i32.add (local.get 0) (i32.const 1)))))
