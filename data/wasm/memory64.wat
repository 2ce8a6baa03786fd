;; memory64: a module with 64-bit addresses (the memory64 proposal, as AO's
;; aos modules use), and all its state in linear memory, so a snapshot of the
;; memory is a snapshot of the module.
;;
;;   address 0: a counter (i64)       address 8: the allocator's next free address
;;   address 16: "memory64 says hello\n"            heap: from address 1024
;;
;; count() -> i64          add one to the counter, return it
;; malloc(size) -> ptr     bump allocation (8-byte aligned), growing the memory;
;;                         0 when the memory cannot grow (at most 16 pages)
;; sum(ptr, len) -> i64    the sum of len bytes from ptr
;; greeting() -> ptr       the address of the greeting (NUL-terminated)
;; hello() -> errno        print the greeting on stdout with WASI fd_write,
;;                         whose iovecs are 16 bytes in a memory64 module
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i64 i64 i64) (result i32)))
  (memory (export "memory") i64 1 16)
  (data (i64.const 16) "memory64 says hello\n")

  (func (export "count") (result i64)
    (i64.store (i64.const 0) (i64.add (i64.load (i64.const 0)) (i64.const 1)))
    (i64.load (i64.const 0)))

  (func (export "malloc") (param $size i64) (result i64)
    (local $start i64) (local $end i64) (local $have i64)
    (local.set $start (i64.load (i64.const 8)))
    (if (i64.eqz (local.get $start)) (then (local.set $start (i64.const 1024))))
    (local.set $end (i64.and (i64.add (i64.add (local.get $start) (local.get $size)) (i64.const 7))
                             (i64.const -8)))
    (local.set $have (i64.mul (memory.size) (i64.const 65536)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i64.eq (memory.grow (i64.div_u (i64.add (i64.sub (local.get $end) (local.get $have))
                                                     (i64.const 65535))
                                            (i64.const 65536)))
                    (i64.const -1))
          (then (return (i64.const 0))))))
    (i64.store (i64.const 8) (local.get $end))
    (local.get $start))

  (func (export "sum") (param $ptr i64) (param $len i64) (result i64)
    (local $total i64)
    (block $done
      (loop $next
        (br_if $done (i64.eqz (local.get $len)))
        (local.set $total (i64.add (local.get $total) (i64.load8_u (local.get $ptr))))
        (local.set $ptr (i64.add (local.get $ptr) (i64.const 1)))
        (local.set $len (i64.sub (local.get $len) (i64.const 1)))
        (br $next)))
    (local.get $total))

  (func (export "greeting") (result i64) (i64.const 16))

  (func (export "hello") (result i32)
    ;; one iovec at 48: {buf: i64, len: i64}; bytes written go to 64
    (i64.store (i64.const 48) (i64.const 16))
    (i64.store (i64.const 56) (i64.const 20))
    (call $fd_write (i32.const 1) (i64.const 48) (i64.const 1) (i64.const 64))))
